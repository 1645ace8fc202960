from django.apps import AppConfig


class BenchHostConfig(AppConfig):
    """The benchmark host: the ceiling view and the bulk seeding commands."""

    name = "benchhost"
    verbose_name = "Benchmark host"
