# throwaway/ holds the files a contributor would add, laid out as in the project: they are
# tests only inside the copy test_contributor_contract.py makes, never in this checkout.
collect_ignore = ["throwaway"]
