"""Workshops: a network's conseillers publish them; members of the associations it follows register.

`selectors` (reads, constant query counts), `services` (writes: row lock on the workshop for every
seat change), `calendar` (one .ics per workshop), `api` (DRF, wired in hub/api_urls.py) and `demo`.
Visibility rules live in `shared_tools.permissions`; event kinds in `shared_tools.events`.
"""
