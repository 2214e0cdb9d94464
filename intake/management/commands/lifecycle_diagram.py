from django.core.management.base import BaseCommand
from django.utils import translation

from intake.diagram import lifecycle_mermaid


class Command(BaseCommand):
    help = "Print the case lifecycle as a Mermaid diagram (generated from the FSM)."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            self.stdout.write(lifecycle_mermaid())
