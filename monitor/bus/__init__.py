"""The record bus: the only link between stages. Protocols in `base`, records and topics in
`records`, the wire format in `codec`, the in-process fan-out in `local`."""
