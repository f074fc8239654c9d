"""The service & contact page (§8): frequently asked questions and how to reach the insurer."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from portal.support.faq import FAQ
from portal.support.insurer import INSURER
from portal.web.session import PagePrincipal
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)


@router.get("/service")
def service_page(request: Request, principal: PagePrincipal) -> Response:
    """FAQ and contact details, for every logged-in user."""
    return render_page(request, principal, "service.html", faq=FAQ, insurer=INSURER)
