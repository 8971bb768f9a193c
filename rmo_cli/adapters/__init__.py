"""Adapters: every call out of process (git, ssh-keygen) and the formats they speak."""
