"""The knowledge base as files: loading and validating cards and documents, splitting documents into
chunks, accepting uploads, and turning both into the units the index stores."""
