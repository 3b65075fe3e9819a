from .factories import filed_request


def test_a_filed_request_gets_a_tracking_number_and_due_date(service, center_city):
    service_request = filed_request(service)
    assert service_request.tracking_number == "10000001"
    assert service_request.neighborhood == center_city
    assert service_request.expected_at is not None
