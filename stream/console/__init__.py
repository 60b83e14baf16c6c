"""The control-room console: a web app (its own process, any number of replicas) over Redis and
kakou.alerts. ``workflow`` is the pure alert workflow; ``accounts`` and ``sessions`` who may
log in; ``desk`` the queue and the steps on it; ``live`` the pushed alert stream; ``app`` the
HTTP routes; ``cli`` the ``kakou-console`` command."""
