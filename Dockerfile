# One image for every XiaoBao process: the app replicas (`python app.py`), the ingest worker
# (`python -m chatbot worker`) and, in compose.yaml, the Chroma server (`chroma run`, the same chromadb
# version as the client). Everything the code needs is installed here; nothing is downloaded at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    CHATBOT_HOST=0.0.0.0 CHATBOT_PORT=7860 CHATBOT_KNOWLEDGE_DIR=/knowledge

WORKDIR /app
COPY pyproject.toml README.md ./
COPY chatbot ./chatbot
COPY eval ./eval
RUN pip install .
COPY app.py ingest.py ./
RUN useradd --system --home-dir /app xiaobao && mkdir -p /app/data && chown xiaobao /app/data
# The demo knowledge base; compose mounts a shared volume here, seeded from this copy on first start.
COPY --chown=xiaobao knowledge /knowledge
USER xiaobao
EXPOSE 7860
CMD ["python", "app.py"]
