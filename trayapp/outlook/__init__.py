"""Where the balance is heading: the history store, the spend rate, days left and expiring credit.

Words: a *forecast* is what is computed (spend rate, days left, nearest expiry); its *inputs* are
what Deepgram is asked for to compute it (the billing breakdown and the purchases).

May import: the base modules (trayapp, errors, redaction, atomic), `deepgram/` and this wing.
"""
