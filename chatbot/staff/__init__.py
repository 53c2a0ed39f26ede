"""What staff use: accounts and roles, the expert desk (queue, ticket view, co-pilot, compliance check of
a draft reply), and the knowledge-gap report with card drafts."""
