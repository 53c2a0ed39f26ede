"""The index: embeddings, the Chroma store, and generations of it — validating a knowledge directory
against what is indexed (plan), writing the changes (indexer), the manifest of what came from which
file, and the pointer to the generation that is served."""
