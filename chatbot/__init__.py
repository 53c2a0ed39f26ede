"""消保智答 XiaoBao — consumer-protection Q&A assistant."""

import os

# Chroma's telemetry and Hugging Face hub calls are off everywhere: nothing reaches the network.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
