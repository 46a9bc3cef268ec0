"""dtimon package."""
