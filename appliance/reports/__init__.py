"""The reports an insurer's managers ask for (issue 17), as figures the admin page, the API
and the exports show alike; nothing here knows about the web.

- letters:    renewal notices sent in a period, priced as letters against what the box's
              SMS parts, calls and e-mails cost;
- collection: of the premiums due in a period, how many were paid within N days of a
              payment reminder, by channel, branch and agent;
- campaigns:  each campaign's reach and response, and survey results;
- rates:      delivery and answer rates per day or week;
- overview:   the /reports page's last 30 days of SMS and IVR calls (moved from appliance/sms/);
- period:     the date range (the box's days) they all take;
- export:     any report as CSV or XLSX.

Every report is a dict with "tables": [{"name", "title", "columns", "rows"}], columns being
(key, title msgid, labels or None) where labels maps a coded value to its msgid, so pages
and exports translate the same way. Money is Decimal, rates Decimal fractions (4 places).
"""
