"""The code model: its definition (torch), export, and the torch-free runtime every feature uses."""
