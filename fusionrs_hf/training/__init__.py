"""Training and evaluation logic behind the `fusionrs` training commands (the scripts stay thin)."""
