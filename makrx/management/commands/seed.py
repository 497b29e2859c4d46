from django.core.management.base import BaseCommand

from makrx import seed


class Command(BaseCommand):
    help = "Create the demo makerspace, catalog and users (safe to run again: it only adds what is missing)."

    def handle(self, *args, **options):
        seed.run(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
