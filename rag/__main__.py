from rag.cli import main

main(prog_name="python -m rag")
