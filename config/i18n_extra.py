"""Third-party interface text that has no zh-Hant translation of its own.

django-import-export ships no zh_Hant catalogue, so its admin import/export screens
would stay in English. Listing its msgids here lets `makemessages` carry them into our
catalogue (locale/zh_Hant), which Django consults before the package's own.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_MSGIDS = [
    gettext_noop("Import"),
    gettext_noop("Export"),
    gettext_noop("Resource"),
    gettext_noop("Format"),
    gettext_noop("File to import"),
    gettext_noop("Submit"),
    gettext_noop("Confirm import"),
    gettext_noop("Errors"),
    gettext_noop("Line number"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("Preview"),
    gettext_noop("New"),
    gettext_noop("Skipped"),
    gettext_noop("Delete"),
    gettext_noop("Update"),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("Select all"),
    gettext_noop("Value could not be parsed."),
    gettext_noop("Tokens"),
]
