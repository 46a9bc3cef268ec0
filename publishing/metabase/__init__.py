"""Metabase as code: collections, native-SQL questions over `bi`, dashboards, column metadata."""

from publishing.metabase.provision import Change, after_publish, apply, plan, render

__all__ = ["Change", "after_publish", "apply", "plan", "render"]
