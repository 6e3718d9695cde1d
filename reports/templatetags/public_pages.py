"""`{% public_fragment %}…{% endpublic_fragment %}`: a public page's content, rendered once per
version of what it shows and served from the cache to every visitor (reports.page_cache)."""

from django import template
from django.utils.safestring import mark_safe

from reports import page_cache

register = template.Library()


class PublicFragmentNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        return mark_safe(page_cache.cached_fragment(context["request"], lambda: str(self.nodelist.render(context))))


@register.tag
def public_fragment(parser, token):
    nodelist = parser.parse(("endpublic_fragment",))
    parser.delete_first_token()
    return PublicFragmentNode(nodelist)
