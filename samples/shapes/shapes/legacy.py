# A Python 2 leftover: the build reports it as a diagnostic row and carries on.
def report(shapes):
    print "total", len(shapes)
