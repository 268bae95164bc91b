"""The offline text-analysis library: nothing here touches a database, a request or the network."""
