"""The Mokugift face: issuing rewards by email or URL, passcodes, a store's rewards."""
