"""Training of the learned answer scorer (`make train`): examples from public QA data, the model, its export.

The data is turned into examples by the product's own reader, splitter, retriever and candidate list
(`training.data`), so training sees what inference sees; articles are split, never questions
(`training.folds`). `training.train` fine-tunes the MiniLM transformer of the packaged embedding model as a
cross-encoder with a "none of these" option; `training.export` writes the ONNX file and its model card.
"""
