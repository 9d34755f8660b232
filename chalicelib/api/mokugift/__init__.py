"""The Mokugift face: issuing rewards by email or URL (`issuing`, in two contracts: `original`),
reward queries (`queries`), passcodes (`passcodes`), a store's rewards (`rewards`)."""
