"""Adapters: every git and ssh-keygen call, behind small functions that know nothing of charters."""
