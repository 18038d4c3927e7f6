"""Answer: candidate sentences scored, abstention, the quotes an answer is made of, and follow-up questions.

It may read `rag.search` and `rag.ingest`; nothing below it reads it.
"""

from rag.answer.composer import ABSTAIN_TEXT, Candidate, candidates, confidence, question_features
from rag.answer.conversation import standalone_question
from rag.answer.quotes import compose

__all__ = ["ABSTAIN_TEXT", "Candidate", "candidates", "compose", "confidence", "question_features", "standalone_question"]
