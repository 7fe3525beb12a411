"""`{% dispute_section appeal %}` — the dispute section 矛盾纠纷 of an appeal page, read for the
user of the request (whatever view renders the appeal page)."""

from django import template

from ..disputes import selectors
from ..disputes.views import section_context

register = template.Library()


@register.inclusion_tag("appeals/partials/dispute_section.html", takes_context=True)
def dispute_section(context, appeal):
    request = context["request"]
    view = selectors.dispute_view_for(user=request.user, appeal=appeal)
    return {**section_context(view), "request": request, "csrf_token": context.get("csrf_token")}
