"""Blocks rendered once per version of what they show and served from the cache (reports.page_cache):

- `{% public_fragment %}…{% endpublic_fragment %}`: a public page's content, for every visitor;
- `{% figures_fragment name %}…{% endfigures_fragment %}`: a signed-in page's block built from the
  figures alone (the department dashboard), under `name`, which says what else it depends on.
"""

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


class FiguresFragmentNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist, self.name = nodelist, name

    def render(self, context):
        name = self.name.resolve(context)
        return mark_safe(
            page_cache.figures_fragment(context["request"], name, lambda: str(self.nodelist.render(context)))
        )


@register.tag
def figures_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% figures_fragment name %} takes the block's name")
    nodelist = parser.parse(("endfigures_fragment",))
    parser.delete_first_token()
    return FiguresFragmentNode(nodelist, parser.compile_filter(bits[1]))
