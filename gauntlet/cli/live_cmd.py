"""`gauntlet live start | status | stop`: a promoted strategy on a live venue (issue 12)."""
