"""The edges: every page, API and feed that people or other programs use, composed over the domain
apps (cases, sla, telephony, notifications). Code here may import any domain app; no domain app
imports web (an import-linter contract, see pyproject.toml).

    web/shell.py    the staff shell: @staff_page (sign-in, roles, the 403 page, the menu), safe_next,
                    client_address (X-Forwarded-For only from TRUSTED_PROXIES)
    web/console/    staff console: desk, queue, inbox, case page, SLA board, publication, reports,
                    telephony desk pages, notifications
    web/portal/     citizen portal: write, mailbox, track, feedback
    web/api/        staff REST API and citizens' tracking API (/api/v1/)
    web/open311/    Open311 GeoReport v2 (/open311/v2/)
    web/public/     public board and statistics
    web/figures/    the DESIGN.md §7 figures (metrics) and the monthly report, for public, console and API
"""
