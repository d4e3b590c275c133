from django.apps import AppConfig


class CareConfig(AppConfig):
    """Staff act on what patients tell them: worklists, score alerts, contact requests.

    Sits on top of notifications, surveys and outcomes (imports flow down only); it hears of new
    answers through ``surveys.signals.response_stored``.
    """

    name = "care"
    verbose_name = "Care team worklists"

    def ready(self) -> None:
        from surveys.signals import population_written, response_stored

        response_stored.connect(_response_stored, dispatch_uid="care.alerts")
        population_written.connect(_population_written, dispatch_uid="care.demo_history")


def _response_stored(sender, response, **kwargs) -> None:
    from care.alerts import alerts_raise

    alerts_raise(response=response)


def _population_written(sender, episode_ids=None, **kwargs) -> None:
    from care.demo import demo_history_write

    demo_history_write(episode_ids=episode_ids)
