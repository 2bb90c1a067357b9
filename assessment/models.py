# Assessment templates, rounds, ballots and scores arrive with the assessment
# issue; the app exists now so that the layout and URL policy cover it.
