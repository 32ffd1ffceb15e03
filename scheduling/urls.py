from django.urls import path

from scheduling import doctor_views, profile_views, views

app_name = "scheduling"

urlpatterns = [
    path("doctors/", views.doctor_directory, name="directory"),
    path("doctors/<int:doctor_id>/", views.doctor_detail, name="doctor"),
    path("doctors/<int:doctor_id>/photo/", profile_views.doctor_photo, name="doctor_photo"),
    path("doctors/me/profile/", profile_views.my_public_profile, name="my_public_profile"),
    path("slots/<int:slot_id>/book/", views.book, name="book"),
    path("slots/<int:slot_id>/book-for-patient/", views.book_for_patient, name="book_for_patient"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:appointment_id>/no-show/", views.no_show, name="no_show"),
    path("appointments/<int:appointment_id>/no-show/revert/", views.revert_no_show, name="revert_no_show"),
    path("appointments/<int:appointment_id>/check-in/", views.check_in, name="check_in"),
    path("appointments/<int:appointment_id>/calendar.ics", views.appointment_calendar, name="appointment_calendar"),
    path("calendar/feed/new/", views.new_calendar_feed, name="new_calendar_feed"),
    path("calendar/feed/revoke/", views.revoke_calendar_feed, name="revoke_calendar_feed"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("schedule/availability/", doctor_views.manage_availability, name="availability"),
    path("schedule/slots/remove/", doctor_views.remove_slots, name="remove_slots"),
    path("schedule/block-day/", doctor_views.block_day, name="block_day"),
    path("schedule/block-day/undo/", doctor_views.unblock_day, name="unblock_day"),
]
