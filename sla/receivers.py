"""Reactions to cases.domain.case_changed."""
