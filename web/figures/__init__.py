"""The published figures (DESIGN.md §7 definitions) and the monthly report built from them: one
place in code for the public statistics page, the console's report and CSV, and the reports API.

They live in the web layer because they compose two domain apps: the cases' counts and the sla
app's late-reply rule (``sla.deadlines``).
"""
