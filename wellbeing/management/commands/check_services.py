from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand

from wellbeing import service_checks


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


class Command(BaseCommand):
    help = (
        "Check the settings of Redis (the Celery broker) and PostgreSQL: eviction, persistence, version, "
        "encoding, connections, time-outs. Prints OK / WARN / FAIL per check, with how to fix it; exit 1 "
        "if any check fails. Reads only (CONFIG GET, SHOW)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--web-processes",
            type=_positive,
            help="gunicorn workers on every machine together (default: WEB_CONCURRENCY, else 2 x CPUs + 1)",
        )
        parser.add_argument("--web-threads", type=_positive, default=1, help="threads per gunicorn worker (1)")
        parser.add_argument(
            "--worker-concurrency",
            type=_positive,
            help="Celery worker processes on every machine together (default: CELERY_WORKER_CONCURRENCY, else CPUs)",
        )
        parser.add_argument(
            "--log", action="store_true", help="log the results (WARNING / ERROR lines) instead of printing them"
        )

    def handle(self, *args, **options):
        results = service_checks.run_all(
            web_processes=options["web_processes"],
            web_threads=options["web_threads"],
            worker_concurrency=options["worker_concurrency"],
        )
        if options["log"]:
            service_checks.log_results(results)
        else:
            for result in results:
                self.stdout.write(result.line())
        if any(result.status == service_checks.FAIL for result in results):
            raise SystemExit(1)
