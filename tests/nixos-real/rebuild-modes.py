import sys
print("rebuild modes: not written yet")
