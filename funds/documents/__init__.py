"""The yearly paperwork (issue 16): documents generated from the records.

``figures`` reads each kind's figures through the budget, spending and yearly selectors
(never a second computation); ``layout`` builds the default .docx templates (GB/T
9704-2012); ``rendering`` fills a template in Jinja's sandbox and checks uploaded ones;
``workbooks`` writes the .xlsx; ``services`` generates and audits, ``views`` serves.
Nothing imports this package but ``funds/urls.py`` and the ``documents`` command.
"""
