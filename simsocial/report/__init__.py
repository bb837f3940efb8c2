"""Reading run directories and comparing them with the human reference: tables, figures, HTML report."""
