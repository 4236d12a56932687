"""The compound's register: compounds, zones, buildings, office units and households."""
