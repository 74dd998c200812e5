"""PlanQA's Gradio app: chat for citizens, clause checking for staff, documents, evaluation.

Started by `python -m ui` (ui/__main__.py); `python -m rag serve` hands over to it, so `rag` never imports `ui`.
"""
