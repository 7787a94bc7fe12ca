"""Web Push: the sender (`sender.py`), where it may connect (`allowlist.py`), the server's VAPID
identity (`vapid.py`) and the devices' subscriptions (`subscriptions/`)."""
