from .retrieval import DIRECTIONS, IR_DIRECTIONS, recall_at_k, retrieval_metrics

__all__ = ["DIRECTIONS", "IR_DIRECTIONS", "recall_at_k", "retrieval_metrics"]
