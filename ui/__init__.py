"""PlanQA's Gradio app: chat for citizens, clause checking for staff, documents, evaluation.

`rag/cli.py serve` is the one place that imports it: `from ui.app import launch; launch(planqa)`.
"""
