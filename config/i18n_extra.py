"""Third-party interface text that has no zh-Hant translation of its own.

django-import-export and django-axes ship no zh_Hant catalogue, so their admin screens
would stay in English. Listing their
msgids here, exactly as the packages write them, lets `makemessages` carry them into our
catalogue (locale/zh_Hant), which Django consults before the packages' own.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

THIRD_PARTY_MSGIDS = [
    # django-import-export: the buttons, forms, preview and messages of admin import/export
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
    gettext_noop("Please correct these errors in your data where possible, then reupload it using the form above."),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("Preview"),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
    ),
    gettext_noop("New"),
    gettext_noop("Skipped"),
    gettext_noop("Delete"),
    gettext_noop("Update"),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("Select all"),
    gettext_noop("Value could not be parsed."),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("Export selected %(verbose_name_plural)s"),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop(
        "The following fields are declared in 'import_id_fields' but are not present in the resource fields: %s"
    ),
    gettext_noop("The following fields are declared in 'import_id_fields' but are not present in the file headers: %s"),
    # … the admin history entries it writes ("%s through import_export" % the row's type)
    gettext_noop("new through import_export"),
    gettext_noop("update through import_export"),
    gettext_noop("delete through import_export"),
    # django-axes: sign-in attempts, failures and the access log
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Yes"),
    gettext_noop("No"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
]
