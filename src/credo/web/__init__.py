"""The dashboard: server-rendered pages for people, partners and operators, served beside the
API by ``credo serve``. Pages call the services the API calls, with the same authorization;
charts are SVG drawn on the server, and no page needs a script or anything off the machine."""

from credo.web.dashboard import install_dashboard

__all__ = ["install_dashboard"]
