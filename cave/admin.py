from django.contrib import admin

from .models import Makerspace, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Makerspace)
class MakerspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "location", "currency", "is_active"]
    list_filter = ["is_active", "currency"]
    search_fields = ["name", "slug", "location"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "makerspace", "role", "status", "joined_at", "expires_at"]
    list_filter = ["makerspace", "role", "status"]
    search_fields = ["user__username", "user__email", "makerspace__name"]
    autocomplete_fields = ["user", "makerspace"]
    list_select_related = ["user", "makerspace"]
