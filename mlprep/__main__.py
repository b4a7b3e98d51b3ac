"""``python -m mlprep`` runs the command line."""

from mlprep.cli.main import main

if __name__ == "__main__":
    main()
